<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Sync;

use Cronkeeper\Scheduler\Model\Sync\MagentoConsumerCollector;
use Cronkeeper\Scheduler\Test\Support\MagentoConsumerConfig;
use PHPUnit\Framework\TestCase;

class MagentoConsumerCollectorTest extends TestCase
{
    public function testEachConsumerBecomesOneInputSortedByName(): void
    {
        $collector = new MagentoConsumerCollector();
        $inputs = $collector->collect([
            'saveConfigProcessor' => MagentoConsumerConfig::item('saveConfigProcessor', 'saveConfigProcessor', 'db', '100', [
                ['\Magento\Config\Model\Config\Importer\SaveConfigProcessor', 'process'],
            ]),
            'async.operations.all' => MagentoConsumerConfig::item('async.operations.all', 'async.operations.all', 'amqp', 0, [
                ['Magento\AsynchronousOperations\Model\MassConsumer', 'process'],
                ['Another\Handler', 'ignored'],
            ]),
        ]);

        self::assertSame([
            [
                'name' => 'async.operations.all',
                'queue' => 'async.operations.all',
                'connection' => 'amqp',
                'maxMessages' => null,
                'handler' => 'Magento\AsynchronousOperations\Model\MassConsumer::process',
            ],
            [
                'name' => 'saveConfigProcessor',
                'queue' => 'saveConfigProcessor',
                'connection' => 'db',
                'maxMessages' => 100,
                'handler' => 'Magento\Config\Model\Config\Importer\SaveConfigProcessor::process',
            ],
        ], $inputs);
        self::assertSame([], $collector->getWarnings());
    }

    public function testMissingOptionalValuesAreSentAsNull(): void
    {
        $inputs = (new MagentoConsumerCollector())->collect([
            MagentoConsumerConfig::item('bare', null, '', 'lots', []),
        ]);
        self::assertSame([['name' => 'bare', 'queue' => null, 'connection' => null, 'maxMessages' => null, 'handler' => null]], $inputs);
    }

    public function testAConsumerWithoutANameIsLeftOutWithAWarning(): void
    {
        $collector = new MagentoConsumerCollector();
        $inputs = $collector->collect(['broken' => MagentoConsumerConfig::item('  ', 'q'), 'junk' => 'not an object']);
        self::assertSame([], $inputs);
        self::assertCount(2, $collector->getWarnings());
        self::assertStringContainsString('broken', $collector->getWarnings()[0]);
    }

    public function testTheSameNameTwiceIsSentOnceTheLastWins(): void
    {
        $inputs = (new MagentoConsumerCollector())->collect([
            MagentoConsumerConfig::item('dup', 'first'),
            MagentoConsumerConfig::item('dup', 'second'),
        ]);
        self::assertCount(1, $inputs);
        self::assertSame('second', $inputs[0]['queue']);
    }
}
