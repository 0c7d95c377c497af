<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Email;

use Cronkeeper\Scheduler\Model\Email\EmailEntityNotFoundException;
use Cronkeeper\Scheduler\Model\Email\EmailMessage;
use Cronkeeper\Scheduler\Model\Email\EmailSendFailedException;
use Cronkeeper\Scheduler\Model\Email\EntityType;
use Cronkeeper\Scheduler\Model\Email\SendHandler;
use Cronkeeper\Scheduler\Model\Email\SendOutcome;
use Cronkeeper\Scheduler\Test\Support\InMemoryEmailGateway;
use Cronkeeper\Scheduler\Test\Support\InMemoryMutex;
use PHPUnit\Framework\TestCase;

class SendHandlerTest extends TestCase
{
    private InMemoryEmailGateway $gateway;
    private InMemoryMutex $mutex;
    private SendHandler $handler;

    protected function setUp(): void
    {
        $this->gateway = new InMemoryEmailGateway();
        $this->mutex = new InMemoryMutex();
        $this->handler = new SendHandler($this->gateway, $this->mutex, 3);
    }

    public function testAFlaggedDocumentIsSentOnceHoweverOftenItIsQueued(): void
    {
        $this->gateway->add(EntityType::Invoice, 7, true, null);
        $message = new EmailMessage(EntityType::Invoice, 7);
        self::assertSame(SendOutcome::Sent, $this->handler->handle($message));
        self::assertSame(SendOutcome::AlreadySent, $this->handler->handle($message));
        self::assertSame(SendOutcome::AlreadySent, $this->handler->handle($message));
        self::assertSame(['invoice:7'], $this->gateway->sent);
        self::assertSame([], $this->mutex->held, 'the lock is released after each message');
    }

    public function testADocumentWhoseEmailIsOffOrAbandonedIsNotSent(): void
    {
        $this->gateway->add(EntityType::Order, 1, false, null);
        $this->gateway->add(EntityType::Order, 2, true, 0);
        self::assertSame(SendOutcome::NotRequested, $this->handler->handle(new EmailMessage(EntityType::Order, 1)));
        self::assertSame(SendOutcome::GaveUp, $this->handler->handle(new EmailMessage(EntityType::Order, 2)));
        self::assertSame([], $this->gateway->sent);
    }

    public function testAFailedSendIsCountedLikeMagentosSweepAndThrownUntilTheBudgetIsSpent(): void
    {
        $this->gateway->add(EntityType::Shipment, 9, true, null);
        $this->gateway->senderBehaviour = false;
        $message = new EmailMessage(EntityType::Shipment, 9);
        $errors = [];
        foreach ([-2, -1, 0] as $expected) {
            try {
                $this->handler->handle($message);
                self::fail('a failed send must throw');
            } catch (EmailSendFailedException $e) {
                $errors[] = $e->getMessage();
            }
            self::assertSame($expected, $this->gateway->emailSent(EntityType::Shipment, 9));
        }
        self::assertStringContainsString('shipment 9: Magento did not send the e-mail; 2 attempt(s) left for the sales_send_order_shipment_emails sweep', $errors[0]);
        self::assertStringContainsString('gave up after 3 attempts (email_sent = 0)', $errors[2]);
        self::assertSame(SendOutcome::GaveUp, $this->handler->handle($message), 'no fourth attempt');
        self::assertSame([], $this->mutex->held);
    }

    public function testAFailureTheSweepAlreadyCountedContinuesItsCount(): void
    {
        $this->gateway->add(EntityType::Creditmemo, 4, true, -1);
        $this->gateway->senderBehaviour = false;
        try {
            $this->handler->handle(new EmailMessage(EntityType::Creditmemo, 4));
            self::fail('a failed send must throw');
        } catch (EmailSendFailedException) {
        }
        self::assertSame(0, $this->gateway->emailSent(EntityType::Creditmemo, 4));
    }

    public function testASenderThatThrowsCountsAsAFailureAndKeepsTheCause(): void
    {
        $this->gateway->add(EntityType::Order, 5, true, null);
        $this->gateway->senderBehaviour = new \RuntimeException('SMTP 451 try again later');
        try {
            $this->handler->handle(new EmailMessage(EntityType::Order, 5));
            self::fail('a failed send must throw');
        } catch (EmailSendFailedException $e) {
            self::assertStringContainsString('(SMTP 451 try again later)', $e->getMessage());
            self::assertInstanceOf(\RuntimeException::class, $e->getPrevious());
        }
        self::assertSame(-2, $this->gateway->emailSent(EntityType::Order, 5));
        self::assertSame([], $this->mutex->held, 'released even when the sender throws');
    }

    public function testWhileTheSweepHoldsTheLockTheMessageIsLeftToItUntouched(): void
    {
        $this->gateway->add(EntityType::Order, 3, true, null);
        $this->mutex->heldElsewhere[SendHandler::LOCK_NAME] = true;
        self::assertSame(SendOutcome::Deferred, $this->handler->handle(new EmailMessage(EntityType::Order, 3)));
        self::assertSame([], $this->gateway->sent);
        self::assertNull($this->gateway->emailSent(EntityType::Order, 3));
        self::assertSame([[SendHandler::LOCK_NAME, 10]], $this->mutex->attempts, 'waits a bounded time for the lock');
    }

    public function testAMessageForADocumentThatDoesNotExistIsAnError(): void
    {
        $this->expectException(EmailEntityNotFoundException::class);
        $this->expectExceptionMessage('order 404 does not exist');
        try {
            $this->handler->handle(new EmailMessage(EntityType::Order, 404));
        } finally {
            self::assertSame([], $this->mutex->held);
        }
    }
}
