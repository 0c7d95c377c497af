<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Sync;

use Cronkeeper\Scheduler\Model\Sync\MagentoJobCollector;
use PHPUnit\Framework\TestCase;

class MagentoJobCollectorTest extends TestCase
{
    public function testSchedulesConfigPathsAndMissingCallbacks(): void
    {
        $jobs = [
            'default' => [
                'newsletter_send_all' => ['instance' => 'Magento\Newsletter\Model\Queue', 'method' => 'scheduledSend', 'schedule' => '*/5 * * * *'],
                'sitemap_generate' => ['instance' => '\Magento\Sitemap\Model\Observer', 'method' => 'scheduledGenerateSitemaps', 'config_path' => 'sitemap/generate/cron_expr'],
                'currency_rates_update' => ['instance' => 'Magento\Directory\Model\Observer', 'method' => 'scheduledUpdateCurrencyRates', 'config_path' => 'crontab/default/jobs/currency_rates_update/schedule/cron_expr'],
                'broken' => ['method' => 'run', 'schedule' => '* * * * *'],
            ],
            'index' => [
                'indexer_reindex_all_invalid' => ['instance' => 'Magento\Indexer\Cron\ReindexAllInvalid', 'method' => 'execute', 'schedule' => '* * * * *'],
            ],
        ];
        $resolver = static fn (string $path): ?string => $path === 'sitemap/generate/cron_expr' ? ' 0 3 * * * ' : null;

        $collector = new MagentoJobCollector();
        $inputs = $collector->collect($jobs, $resolver);

        self::assertSame([
            ['code' => 'newsletter_send_all', 'group' => 'default', 'schedule' => '*/5 * * * *', 'configPath' => null, 'instance' => 'Magento\Newsletter\Model\Queue', 'method' => 'scheduledSend'],
            ['code' => 'sitemap_generate', 'group' => 'default', 'schedule' => '0 3 * * *', 'configPath' => null, 'instance' => 'Magento\Sitemap\Model\Observer', 'method' => 'scheduledGenerateSitemaps'],
            ['code' => 'currency_rates_update', 'group' => 'default', 'schedule' => null, 'configPath' => 'crontab/default/jobs/currency_rates_update/schedule/cron_expr', 'instance' => 'Magento\Directory\Model\Observer', 'method' => 'scheduledUpdateCurrencyRates'],
            ['code' => 'indexer_reindex_all_invalid', 'group' => 'index', 'schedule' => '* * * * *', 'configPath' => null, 'instance' => 'Magento\Indexer\Cron\ReindexAllInvalid', 'method' => 'execute'],
        ], $inputs);
        self::assertCount(1, $collector->getWarnings());
        self::assertStringStartsWith('broken:', $collector->getWarnings()[0]);
    }
}
