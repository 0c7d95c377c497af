<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\GraphQl\Exception;

/**
 * The token's role is too low for the operation (`FORBIDDEN`).
 */
class ForbiddenException extends GraphQlException
{
}
