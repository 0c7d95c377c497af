<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Email;

/**
 * What handling one message did. Only a failure is an exception (so the queue marks the message as failed);
 * every other outcome acknowledges the message.
 */
enum SendOutcome: string
{
    case Sent = 'sent';
    /** email_sent = 1 already (the sweep, an earlier message or a manual send got there first). */
    case AlreadySent = 'already sent';
    /** send_email is off: the store does not send this e-mail, or nobody asked. */
    case NotRequested = 'not requested';
    /** email_sent = 0: Magento's attempt budget is spent; only an admin "Send Email" sends it now. */
    case GaveUp = 'gave up earlier';
    /** The sweep holds the lock; it, or its next pass, sends this document. */
    case Deferred = 'left to the sweep';
}
