<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Api;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;

/**
 * Runs GraphQL operations against the cronkeeper service with a freshly minted short-lived token.
 *
 * @api
 */
interface ServiceClientInterface
{
    /**
     * As the logged-in admin: `sub` is the admin username, `role` comes from the admin's ACL.
     *
     * @param array<string, mixed> $variables
     * @return array<string, mixed> the response's `data`
     * @throws GraphQlException
     */
    public function execute(string $query, array $variables = []): array;

    /**
     * As an explicit subject and role, for console commands (no admin session).
     *
     * @param array<string, mixed> $variables
     * @return array<string, mixed>
     * @throws GraphQlException
     */
    public function executeAs(string $subject, string $role, string $query, array $variables = []): array;
}
