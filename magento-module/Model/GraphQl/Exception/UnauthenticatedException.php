<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\GraphQl\Exception;

/**
 * The token was refused (`UNAUTHENTICATED` or HTTP 401): wrong secret, expired, wrong audience.
 */
class UnauthenticatedException extends GraphQlException
{
}
