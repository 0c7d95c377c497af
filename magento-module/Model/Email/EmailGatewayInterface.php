<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * The Magento side of sending one document's e-mail: its state, Magento's own sender, and the attempt counter.
 * Implemented by Magento\SalesEmailGateway; plain so SendHandler's rules are tested without Magento.
 */
interface EmailGatewayInterface
{
    /**
     * Fresh from the database (no repository cache: the consumer is a long-running process).
     * Null when the document does not exist.
     */
    public function load(EntityType $type, int $id): ?EmailState;

    /**
     * Sends through Magento's sender for the type with $forceSyncMode = true, exactly as the cron sweep does.
     * True when sent (the sender then saves email_sent = 1 itself).
     */
    public function send(EntityType $type, int $id): bool;

    /**
     * Saves email_sent after a failed attempt (see EmailState).
     */
    public function saveEmailSent(EntityType $type, int $id, int $emailSent): void;
}
