<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Client;
use Cronkeeper\Scheduler\Model\GraphQl\TokenMinter;

/**
 * What Model/ServiceClient does without Magento: the plain client with a token minted per request,
 * as one fixed subject and role (the admin session and ACL are Magento's part).
 */
final class MintingServiceClient implements ServiceClientInterface
{
    public function __construct(
        private readonly Client $client,
        private readonly string $secret,
        private readonly string $role = 'viewer',
        private readonly string $subject = 'integration-admin'
    ) {
    }

    public function execute(string $query, array $variables = []): array
    {
        return $this->executeAs($this->subject, $this->role, $query, $variables);
    }

    public function executeAs(string $subject, string $role, string $query, array $variables = []): array
    {
        return $this->client->execute($query, $variables, (new TokenMinter($this->secret, 120))->mint($subject, $role));
    }
}
