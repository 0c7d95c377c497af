<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

use Cronkeeper\Scheduler\Model\Email\EmailGatewayInterface;
use Cronkeeper\Scheduler\Model\Email\EmailState;
use Cronkeeper\Scheduler\Model\Email\EntityType;

/**
 * Stands in for Magento_Sales in SendHandler's unit tests: documents as (send_email, email_sent) rows, a sender
 * that succeeds, returns false or throws as the test says, and a record of every e-mail that went out.
 * Like Magento's senders, a successful send writes email_sent = 1 itself.
 */
final class InMemoryEmailGateway implements EmailGatewayInterface
{
    /** @var array<string, array{sendEmail: bool, emailSent: ?int}> "type:id" => row */
    public array $rows = [];

    /** @var list<string> "type:id" of every e-mail sent */
    public array $sent = [];

    /** @var bool|\Throwable what the next sends do */
    public bool|\Throwable $senderBehaviour = true;

    public function add(EntityType $type, int $id, bool $sendEmail, ?int $emailSent): void
    {
        $this->rows[$type->value . ':' . $id] = ['sendEmail' => $sendEmail, 'emailSent' => $emailSent];
    }

    public function emailSent(EntityType $type, int $id): ?int
    {
        return $this->rows[$type->value . ':' . $id]['emailSent'];
    }

    public function load(EntityType $type, int $id): ?EmailState
    {
        $row = $this->rows[$type->value . ':' . $id] ?? null;
        return $row === null ? null : new EmailState($row['sendEmail'], $row['emailSent']);
    }

    public function send(EntityType $type, int $id): bool
    {
        if ($this->senderBehaviour instanceof \Throwable) {
            throw $this->senderBehaviour;
        }
        if ($this->senderBehaviour) {
            $this->sent[] = $type->value . ':' . $id;
            $this->rows[$type->value . ':' . $id]['emailSent'] = 1;
        }
        return $this->senderBehaviour;
    }

    public function saveEmailSent(EntityType $type, int $id, int $emailSent): void
    {
        $this->rows[$type->value . ':' . $id]['emailSent'] = $emailSent;
    }
}
