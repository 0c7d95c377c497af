<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\GraphQl;

use Cronkeeper\Scheduler\Model\GraphQl\OffsetCursor;
use PHPUnit\Framework\TestCase;

class OffsetCursorTest extends TestCase
{
    public function testItMatchesTheServiceEncoding(): void
    {
        // base64url("o:39") without padding, as service/src/api/connection.rs encodes it
        self::assertSame('bzozOQ', OffsetCursor::encode(39));
        self::assertSame(39, OffsetCursor::decode('bzozOQ'));
    }

    public function testRoundTrip(): void
    {
        foreach ([0, 1, 19, 20, 999, 123456789] as $offset) {
            self::assertSame($offset, OffsetCursor::decode(OffsetCursor::encode($offset)));
        }
    }

    public function testForeignCursorsDecodeToNull(): void
    {
        self::assertNull(OffsetCursor::decode('not a cursor!'));
        self::assertNull(OffsetCursor::decode(base64_encode('offset:40')));
        self::assertNull(OffsetCursor::decode(base64_encode('o:-1')));
    }

    public function testAfterPointsAtTheRowBeforeTheFirstOneWanted(): void
    {
        self::assertNull(OffsetCursor::afterForFirstRow(0));
        self::assertSame(OffsetCursor::encode(39), OffsetCursor::afterForFirstRow(40));
    }
}
