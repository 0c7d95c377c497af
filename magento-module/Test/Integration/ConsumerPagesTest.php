<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Integration;

use Cronkeeper\Scheduler\Model\Acl\RoleResolver;
use Cronkeeper\Scheduler\Model\Consumer\ConsumerBoard;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Sync\MagentoConsumerCollector;
use Cronkeeper\Scheduler\Test\Support\ServiceTestCase;
use Cronkeeper\Scheduler\ViewModel\Consumers;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeAuthorization;
use Cronkeeper\Scheduler\Test\Support\Magento\FakeUrl;
use Cronkeeper\Scheduler\Test\Support\TemplateRenderer;
use Cronkeeper\Scheduler\Test\Support\MagentoConsumerConfig;

/**
 * `cronkeeper:sync`'s consumer part and the Queues & Consumers page against the real service.
 *
 * Uses the consumer supervision API (syncMagentoConsumers, consumers/queues with processes,
 * start/stop/restart/setConsumerInstances) of the binary under test.
 *
 * @group consumers
 */
class ConsumerPagesTest extends ServiceTestCase
{
    /**
     * @param list<object> $items
     * @return array{created: int, updated: int, unchanged: int, removed: int}
     */
    private function sync(array $items, bool $removeMissing = true, string $role = 'admin'): array
    {
        $inputs = (new MagentoConsumerCollector())->collect($items);
        return self::as($role)->execute(
            Queries::SYNC_MAGENTO_CONSUMERS,
            ['consumers' => $inputs, 'removeMissing' => $removeMissing]
        )['syncMagentoConsumers'];
    }

    /**
     * @return list<object>
     */
    private static function shopConsumers(): array
    {
        return [
            MagentoConsumerConfig::item('product_action_attribute.update', 'product_action_attribute.update', 'db', 100, [
                ['Magento\Catalog\Model\Attribute\Backend\Consumer', 'process'],
            ]),
            MagentoConsumerConfig::item('exportProcessor', 'export', 'db', null, [
                ['Magento\ImportExport\Model\Export\Consumer', 'process'],
            ]),
        ];
    }

    public function testSyncReportsCreatedThenUnchangedThenRemoved(): void
    {
        self::assertSame(['created' => 2, 'updated' => 0, 'unchanged' => 0, 'removed' => 0], $this->sync(self::shopConsumers()));
        self::assertSame(['created' => 0, 'updated' => 0, 'unchanged' => 2, 'removed' => 0], $this->sync(self::shopConsumers()));

        $changed = self::shopConsumers();
        $changed[1] = MagentoConsumerConfig::item('exportProcessor', 'export', 'db', 50, [['Magento\ImportExport\Model\Export\Consumer', 'process']]);
        self::assertSame(['created' => 0, 'updated' => 1, 'unchanged' => 1, 'removed' => 0], $this->sync($changed));

        self::assertSame(0, $this->sync([$changed[0]], false)['removed'], 'removeMissing: false keeps the others');
        self::assertSame(1, $this->sync([$changed[0]])['removed']);
        $this->sync(self::shopConsumers());
    }

    public function testAnOperatorMayNotSync(): void
    {
        $this->expectException(ForbiddenException::class);
        $this->sync(self::shopConsumers(), true, 'operator');
    }

    public function testThePageListsQueuesAndTheSyncedConsumers(): void
    {
        $this->sync(self::shopConsumers());
        $page = (new ConsumerBoard(self::as('viewer')))->load();

        self::assertSame(['exportProcessor', 'product_action_attribute.update'], array_column($page['consumers'], 'name'));
        foreach ($page['consumers'] as $consumer) {
            self::assertIsArray($consumer['processes']);
            self::assertIsString($consumer['state']);
            self::assertIsInt($consumer['desiredInstances']);
        }
        self::assertSame(100, $page['consumers'][1]['maxMessages']);
        foreach ($page['queues'] as $queue) {
            self::assertArrayHasKey('ready', $queue);
            self::assertArrayHasKey('inFlight', $queue);
        }
    }

    public function testAnOperatorStartsScalesRestartsAndStopsAConsumer(): void
    {
        $this->sync(self::shopConsumers());
        $board = new ConsumerBoard(self::as('operator'));

        self::assertSame('exportProcessor', $board->setInstances('exportProcessor', 2)['name']);
        self::assertSame(2, $board->load()['consumers'][0]['desiredInstances']);
        self::assertSame('exportProcessor', $board->start('exportProcessor')['name']);
        self::assertSame('exportProcessor', $board->restart('exportProcessor')['name']);
        $stopped = $board->stop('exportProcessor');
        self::assertSame('exportProcessor', $stopped['name']);
        self::assertNotSame('', $stopped['state']);
    }

    public function testThePageOffersActionsToOperatorsOnly(): void
    {
        $this->sync(self::shopConsumers());
        $page = static fn (FakeAuthorization $acl): string => TemplateRenderer::render('consumer/index.phtml', new Consumers(
            new ConsumerBoard(self::as('viewer')),
            new FakeUrl(),
            $acl
        ));

        $operator = $page(new FakeAuthorization([RoleResolver::RESOURCE_VIEW, RoleResolver::RESOURCE_OPERATE]));
        self::assertStringContainsString('product_action_attribute.update', $operator);
        self::assertStringNotContainsString('message-error', $operator);
        foreach (['start', 'stop', 'restart', 'scale'] as $action) {
            self::assertStringContainsString('action="/admin/cronkeeper/consumer/' . $action . '/"', $operator);
        }
        self::assertStringContainsString('name="name" type="hidden" value="exportProcessor"', $operator);

        $viewer = $page(new FakeAuthorization([RoleResolver::RESOURCE_VIEW]));
        self::assertStringContainsString('exportProcessor', $viewer);
        self::assertStringNotContainsString('type="submit"', $viewer);
    }

    public function testRefusalsComeFromTheService(): void
    {
        $this->sync(self::shopConsumers());
        try {
            (new ConsumerBoard(self::as('viewer')))->start('exportProcessor');
            self::fail('a viewer started a consumer');
        } catch (ForbiddenException) {
        }
        $operator = new ConsumerBoard(self::as('operator'));
        try {
            $operator->start('no_such_consumer');
            self::fail('an unknown consumer was started');
        } catch (GraphQlException $e) {
            self::assertNotInstanceOf(ForbiddenException::class, $e);
        }
        $this->expectException(GraphQlException::class);
        $operator->setInstances('exportProcessor', -1);
    }
}
