<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\Acl\RoleResolver;
use Cronkeeper\Scheduler\Model\GraphQl\Client;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ServiceUnavailableException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\UnauthenticatedException;
use Cronkeeper\Scheduler\Model\GraphQl\TokenMinter;
use Magento\Backend\Model\Auth\Session;
use Magento\Framework\AuthorizationInterface;

/**
 * Thin Magento glue around the plain-PHP client: reads the configuration, mints a token per request.
 */
class ServiceClient implements ServiceClientInterface
{
    public function __construct(
        private readonly Config $config,
        private readonly Session $authSession,
        private readonly AuthorizationInterface $authorization,
        private readonly RoleResolver $roleResolver
    ) {
    }

    public function execute(string $query, array $variables = []): array
    {
        $user = $this->authSession->getUser();
        $subject = $user !== null ? (string)$user->getUserName() : '';
        if ($subject === '') {
            throw new UnauthenticatedException('No admin is logged in.', 'UNAUTHENTICATED');
        }
        $role = $this->roleResolver->resolve(
            fn (string $resource): bool => $this->authorization->isAllowed($resource)
        );
        if ($role === null) {
            throw new ForbiddenException('This admin role has no Cronkeeper permission.', 'FORBIDDEN');
        }
        return $this->executeAs($subject, $role, $query, $variables);
    }

    public function executeAs(string $subject, string $role, string $query, array $variables = []): array
    {
        if (!$this->config->isEnabled()) {
            throw new ServiceUnavailableException(
                'Cronkeeper is disabled: enable it in Stores > Configuration > Advanced > Cronkeeper.'
            );
        }
        try {
            $client = new Client(
                $this->config->getServiceUrl(),
                $this->config->getConnectTimeoutMs(),
                $this->config->getRequestTimeoutMs()
            );
            $minter = new TokenMinter(
                $this->config->getJwtSecret(),
                $this->config->getTokenLifetime(),
                null,
                $this->config->getJwtIssuer()
            );
        } catch (\InvalidArgumentException $e) {
            // Misconfiguration (bad URL, short secret): the message names the setting, never its value.
            throw new GraphQlException('Cronkeeper configuration: ' . $e->getMessage(), null, [], $e);
        }

        return $client->execute($query, $variables, $minter->mint($subject, $role));
    }
}
