<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Plugin\Sales;

use Cronkeeper\Scheduler\Model\Email\SendHandler;
use Cronkeeper\Scheduler\Model\Lock\MutexInterface;
use Cronkeeper\Scheduler\Model\StagesConfig;
use Magento\Sales\Model\EmailSenderHandler;
use Psr\Log\LoggerInterface;

/**
 * Stage 2: the four sales_send_*_emails cron jobs (virtual types of EmailSenderHandler, which inherit this
 * plugin) sweep while holding the lock the queue consumer takes per message, so the sweep and the consumer
 * never both send one document. A sweep that cannot get the lock within a minute skips its pass; the next
 * one catches up.
 */
class HoldEmailLockDuringSweep
{
    private const WAIT_SECONDS = 60;

    public function __construct(
        private readonly StagesConfig $config,
        private readonly MutexInterface $mutex,
        private readonly LoggerInterface $logger
    ) {
    }

    public function aroundSendEmails(EmailSenderHandler $subject, callable $proceed): mixed
    {
        if (!$this->config->isEmailQueueEnabled()) {
            return $proceed();
        }
        if (!$this->mutex->tryLock(SendHandler::LOCK_NAME, self::WAIT_SECONDS)) {
            $this->logger->warning('cronkeeper: sales e-mail sweep skipped, the queue consumer held the lock for a minute');
            return null;
        }
        try {
            return $proceed();
        } finally {
            $this->mutex->unlock(SendHandler::LOCK_NAME);
        }
    }
}
