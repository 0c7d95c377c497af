<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * Magento's sender did not send. The attempt is already counted in email_sent, so the sales_send_*_emails
 * sweep retries on its schedule until the budget is spent; the exception makes Magento's consumer reject the
 * message (db queue: status "error" and "Message has been rejected: ..." in the log), never a silent drop.
 */
class EmailSendFailedException extends \RuntimeException
{
}
