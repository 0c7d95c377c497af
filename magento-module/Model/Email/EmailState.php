<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * The two columns Magento keeps the e-mail state of a sales document in, read fresh from the database.
 *
 * email_sent, as Magento 2.4.7's EmailSenderHandler writes it: null = not tried yet, 1 = sent,
 * -n = n attempts left after failures, 0 = gave up after sales_email/general/async_sending_attempts.
 */
final class EmailState
{
    public function __construct(public readonly bool $sendEmail, public readonly ?int $emailSent)
    {
    }

    public function isSent(): bool
    {
        return $this->emailSent !== null && $this->emailSent > 0;
    }

    public function hasGivenUp(): bool
    {
        return $this->emailSent === 0;
    }

    /**
     * The email_sent value after one more failed attempt, counted the way EmailSenderHandler counts.
     */
    public function afterFailedAttempt(int $maxAttempts): int
    {
        return min(0, ($this->emailSent ?? -max(1, $maxAttempts)) + 1);
    }
}
