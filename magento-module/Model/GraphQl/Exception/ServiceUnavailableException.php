<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\GraphQl\Exception;

/**
 * The service could not be reached, did not answer in time, or answered with a 5xx: retrying later may help.
 */
class ServiceUnavailableException extends GraphQlException
{
}
