<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email\Magento;

use Cronkeeper\Scheduler\Model\Email\EmailMessage;
use Cronkeeper\Scheduler\Model\Email\SendHandler;
use Cronkeeper\Scheduler\Model\Lock\MutexInterface;
use Cronkeeper\Scheduler\Model\StagesConfig;
use Psr\Log\LoggerInterface;

/**
 * Handler of the cronkeeper.sales.email.send topic (etc/communication.xml, etc/queue_consumer.xml).
 *
 * Exceptions are left to Magento\Framework\MessageQueue\Consumer, which rejects the message without requeue:
 * on the db connection it gets status "error" and "Message has been rejected: <reason>" is logged critical.
 * A failed send has already been counted for the sales_send_*_emails sweep to retry (see SendHandler).
 */
class Consumer
{
    public function __construct(
        private readonly SalesEmailGateway $gateway,
        private readonly MutexInterface $mutex,
        private readonly StagesConfig $config,
        private readonly LoggerInterface $logger
    ) {
    }

    public function process(string $message): void
    {
        $email = EmailMessage::fromJson($message);
        $handler = new SendHandler($this->gateway, $this->mutex, $this->config->getAsyncSendingAttempts());
        $outcome = $handler->handle($email);
        $this->logger->info(sprintf('cronkeeper.sales.email.send: %s %s', $email->describe(), $outcome->value));
    }
}
