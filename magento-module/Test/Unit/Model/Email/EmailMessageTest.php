<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Email;

use Cronkeeper\Scheduler\Model\Email\EmailMessage;
use Cronkeeper\Scheduler\Model\Email\EntityType;
use Cronkeeper\Scheduler\Model\Email\InvalidEmailMessageException;
use PHPUnit\Framework\TestCase;

class EmailMessageTest extends TestCase
{
    public function testAMessageSurvivesTheQueueAsJson(): void
    {
        foreach (EntityType::cases() as $type) {
            $json = (new EmailMessage($type, 42))->toJson();
            $back = EmailMessage::fromJson($json);
            self::assertSame($type, $back->type);
            self::assertSame(42, $back->id);
        }
        self::assertSame('{"type":"creditmemo","id":7}', (new EmailMessage(EntityType::Creditmemo, 7))->toJson());
        self::assertSame(12, EmailMessage::fromJson('{"type":"order","id":"12"}')->id, 'a numeric string id is accepted');
    }

    /**
     * @return array<string, array{string, string}>
     */
    public static function badMessages(): array
    {
        return [
            'not json' => ['order 42', 'not JSON'],
            'a list' => ['[1, 2]', '"type" must be one of order, invoice, shipment, creditmemo'],
            'a scalar' => ['42', 'JSON object'],
            'unknown type' => ['{"type":"quote","id":1}', '"type" must be one of'],
            'missing id' => ['{"type":"order"}', '"id" must be a positive integer'],
            'negative id' => ['{"type":"order","id":-3}', 'positive integer'],
            'zero id' => ['{"type":"invoice","id":0}', 'positive integer, got 0'],
            'float id' => ['{"type":"invoice","id":1.5}', '"id" must be a positive integer'],
        ];
    }

    /**
     * @dataProvider badMessages
     */
    public function testAMessageThatIsNotTypeAndIdIsRefusedWithTheReason(string $json, string $reason): void
    {
        $this->expectException(InvalidEmailMessageException::class);
        $this->expectExceptionMessage($reason);
        EmailMessage::fromJson($json);
    }

    public function testEachTypeNamesTheMagentoCronJobThatSweepsIt(): void
    {
        self::assertSame(
            ['sales_send_order_emails', 'sales_send_order_invoice_emails', 'sales_send_order_shipment_emails', 'sales_send_order_creditmemo_emails'],
            EntityType::sweeperJobCodes()
        );
    }
}
