<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Indexer;

use Cronkeeper\Scheduler\Model\Indexer\ReindexPolicy;
use PHPUnit\Framework\TestCase;

class ReindexPolicyTest extends TestCase
{
    public function testOnlyAnInvalidIndexerWithNothingSuspendedAroundItIsRebuilt(): void
    {
        $p = new ReindexPolicy();
        self::assertTrue($p->shouldReindex(true, false, []));
        self::assertTrue($p->shouldReindex(true, false, ['invalid', 'valid']));
        self::assertFalse($p->shouldReindex(false, false, []), 'valid already');
        self::assertFalse($p->shouldReindex(true, true, []), 'suspended');
        self::assertFalse($p->shouldReindex(true, false, ['invalid', 'suspended']), 'a sharer is suspended');
    }

    public function testTheIndexersSharingAnIndexAreFoundInTheConfig(): void
    {
        $config = [
            'catalogrule_rule' => ['shared_index' => 'catalogrule'],
            'catalogrule_product' => ['shared_index' => 'catalogrule'],
            'catalog_product_price' => ['shared_index' => null],
        ];
        $p = new ReindexPolicy();
        self::assertSame(['catalogrule_rule', 'catalogrule_product'], $p->sharing($config, 'catalogrule'));
        self::assertSame([], $p->sharing($config, null));
        self::assertSame([], $p->sharing($config, ''));
    }
}
