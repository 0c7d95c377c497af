<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * The document of a message does not exist (deleted, or a different database). The consumer lets Magento
 * reject the message; if it only appears later (a publisher whose transaction was still open), the cron
 * sweep sends it.
 */
class EmailEntityNotFoundException extends \RuntimeException
{
}
