<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Api;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;

/**
 * The admin's mass actions on jobs, each one GraphQL mutation over all codes.
 *
 * @api
 */
interface JobActionsInterface
{
    /**
     * @param list<string> $codes
     * @return int how many jobs were affected
     * @throws GraphQlException
     */
    public function pause(array $codes): int;

    /**
     * @param list<string> $codes
     * @throws GraphQlException
     */
    public function resume(array $codes): int;

    /**
     * @param list<string> $codes
     * @return int how many runs were queued
     * @throws GraphQlException
     */
    public function runNow(array $codes): int;

    /**
     * @param list<string> $codes
     * @throws GraphQlException
     */
    public function delete(array $codes): int;
}
