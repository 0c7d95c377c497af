<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

use Cronkeeper\Scheduler\Model\Lock\MutexInterface;

/**
 * Sends one queued sales e-mail, idempotently. Plain PHP: Magento sits behind EmailGatewayInterface.
 *
 * - The state is read fresh under a lock that the cron sweep (EmailSenderHandler::sendEmails, plugged by
 *   Plugin\Sales\HoldEmailLockDuringSweep) holds too, so the queue and the sweep never send the same document
 *   twice, and two consumers never either.
 * - Sent, not requested, or given up: nothing is sent and the message is acknowledged.
 * - A failed send counts one attempt in email_sent exactly as EmailSenderHandler does and throws, so the
 *   failure is visible; the sweep retries with its own (low) frequency as backoff, until email_sent = 0.
 */
final class SendHandler
{
    public const LOCK_NAME = 'ck_sales_email';

    public function __construct(
        private readonly EmailGatewayInterface $gateway,
        private readonly MutexInterface $mutex,
        private readonly int $maxAttempts,
        private readonly int $lockWaitSeconds = 10
    ) {
    }

    /**
     * @throws EmailEntityNotFoundException
     * @throws EmailSendFailedException
     */
    public function handle(EmailMessage $message): SendOutcome
    {
        if (!$this->mutex->tryLock(self::LOCK_NAME, $this->lockWaitSeconds)) {
            return SendOutcome::Deferred;
        }
        try {
            return $this->sendUnlessDone($message);
        } finally {
            $this->mutex->unlock(self::LOCK_NAME);
        }
    }

    private function sendUnlessDone(EmailMessage $message): SendOutcome
    {
        $state = $this->gateway->load($message->type, $message->id);
        if ($state === null) {
            throw new EmailEntityNotFoundException(sprintf('%s does not exist', $message->describe()));
        }
        if ($state->isSent()) {
            return SendOutcome::AlreadySent;
        }
        if (!$state->sendEmail) {
            return SendOutcome::NotRequested;
        }
        if ($state->hasGivenUp()) {
            return SendOutcome::GaveUp;
        }
        $cause = null;
        try {
            if ($this->gateway->send($message->type, $message->id)) {
                return SendOutcome::Sent;
            }
        } catch (\Throwable $e) {
            $cause = $e;
        }
        $left = $state->afterFailedAttempt($this->maxAttempts);
        $this->gateway->saveEmailSent($message->type, $message->id, $left);
        throw new EmailSendFailedException(
            sprintf(
                '%s: Magento did not send the e-mail%s; %s',
                $message->describe(),
                $cause === null ? '' : ' (' . $cause->getMessage() . ')',
                $left === 0
                    ? sprintf('gave up after %d attempts (email_sent = 0)', max(1, $this->maxAttempts))
                    : sprintf('%d attempt(s) left for the %s sweep', -$left, $message->type->sweeperJobCode())
            ),
            0,
            $cause
        );
    }
}
