<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Email;

use Cronkeeper\Scheduler\Model\Email\PublishDecision;
use PHPUnit\Framework\TestCase;

class PublishDecisionTest extends TestCase
{
    /** What OrderSender::send($order) leaves behind in async mode: false returned, send_email 1, email_sent null. */
    private const FLAGGED = ['stage' => true, 'async' => true, 'force' => false, 'result' => false, 'sendEmail' => '1', 'emailSent' => null, 'id' => '42'];

    private function decide(array $over = []): bool
    {
        $a = $over + self::FLAGGED;
        return (new PublishDecision())->shouldPublish($a['stage'], $a['async'], $a['force'], $a['result'], $a['sendEmail'], $a['emailSent'], $a['id']);
    }

    public function testADocumentTheSenderLeftForTheAsyncSweepIsPublished(): void
    {
        self::assertTrue($this->decide());
        self::assertTrue($this->decide(['sendEmail' => true, 'id' => 42]), 'typed values as well as database strings');
    }

    /**
     * @return array<string, array{array<string, mixed>}>
     */
    public static function notOurs(): array
    {
        return [
            'stage 2 switched off' => [['stage' => false]],
            'Magento sends synchronously (async_sending off)' => [['async' => false]],
            'the sweep or our consumer is sending (forceSyncMode)' => [['force' => true]],
            'sent right away' => [['result' => true]],
            'e-mail disabled for the store' => [['sendEmail' => '0']],
            'send_email not set' => [['sendEmail' => null]],
            'already sent' => [['emailSent' => '1']],
            'failed attempts counted: the sweep owns it' => [['emailSent' => '-2']],
            'unsaved document' => [['id' => null]],
            'nonsense id' => [['id' => 'abc']],
        ];
    }

    /**
     * @dataProvider notOurs
     * @param array<string, mixed> $over
     */
    public function testEverythingElseIsNotPublished(array $over): void
    {
        self::assertFalse($this->decide($over));
    }
}
