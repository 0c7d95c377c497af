<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * A queue message that is not {"type": order|invoice|shipment|creditmemo, "id": positive integer}.
 * Retrying cannot help, so the consumer lets Magento reject it (status error, logged).
 */
class InvalidEmailMessageException extends \InvalidArgumentException
{
}
