<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * Whether a call to one of Magento's sales e-mail senders (OrderSender::send() and its three siblings) just
 * left a document waiting for the asynchronous sweep, so it should be published to the queue now. Plain PHP.
 *
 * Magento 2.4.7's senders, when sales_email/general/async_sending is on and $forceSyncMode is false, set
 * send_email to "is this e-mail enabled for the store", reset email_sent to null, save both attributes and
 * return false. That state (send_email = 1, email_sent = null) is exactly what EmailSenderHandler::sendEmails()
 * selects later. Everything else is not ours to publish: a forced send (the sweeper or our own consumer), a
 * document already sent, or an e-mail the store has switched off.
 */
final class PublishDecision
{
    public function shouldPublish(
        bool $stageEnabled,
        bool $asyncSending,
        bool $forceSyncMode,
        mixed $senderResult,
        mixed $sendEmail,
        mixed $emailSent,
        mixed $entityId
    ): bool {
        if (!$stageEnabled || !$asyncSending || $forceSyncMode || $senderResult === true) {
            return false;
        }
        if (!(bool)$sendEmail || $emailSent !== null) {
            return false;
        }
        return (is_int($entityId) || (is_string($entityId) && ctype_digit($entityId))) && (int)$entityId > 0;
    }
}
