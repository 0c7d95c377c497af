<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model;

use Magento\Framework\App\Config\ScopeConfigInterface;

/**
 * Stores > Configuration > Advanced > Cronkeeper > Stages: the switches of issue 8 (default scope).
 */
class StagesConfig
{
    public const XML_PATH_EMAIL_QUEUE = 'cronkeeper/stages/email_queue';
    public const XML_PATH_EMAIL_SWEEP_SCHEDULE = 'cronkeeper/stages/email_sweep_schedule';
    public const XML_PATH_INDEXER_SPLIT = 'cronkeeper/stages/indexer_split';
    /** Magento's own switch: without it the senders send during the request and nothing is queued. */
    public const XML_PATH_ASYNC_SENDING = 'sales_email/general/async_sending';
    /** Magento 2.4.7 (EmailSenderHandler::XML_PATH_ASYNC_SENDING_ATTEMPTS); 3 when unset, as its tests assume. */
    public const XML_PATH_ASYNC_SENDING_ATTEMPTS = 'sales_email/general/async_sending_attempts';
    public const DEFAULT_SWEEP_SCHEDULE = '*/15 * * * *';

    public function __construct(private readonly ScopeConfigInterface $scopeConfig)
    {
    }

    public function isEmailQueueEnabled(): bool
    {
        return $this->scopeConfig->isSetFlag(self::XML_PATH_EMAIL_QUEUE);
    }

    public function getEmailSweepSchedule(): string
    {
        $value = trim((string)$this->scopeConfig->getValue(self::XML_PATH_EMAIL_SWEEP_SCHEDULE));
        return $value === '' ? self::DEFAULT_SWEEP_SCHEDULE : $value;
    }

    public function isIndexerSplitEnabled(): bool
    {
        return $this->scopeConfig->isSetFlag(self::XML_PATH_INDEXER_SPLIT);
    }

    public function isAsyncSendingEnabled(): bool
    {
        return $this->scopeConfig->isSetFlag(self::XML_PATH_ASYNC_SENDING);
    }

    public function getAsyncSendingAttempts(): int
    {
        $value = $this->scopeConfig->getValue(self::XML_PATH_ASYNC_SENDING_ATTEMPTS);
        return is_numeric($value) && (int)$value > 0 ? (int)$value : 3;
    }
}
