<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Sync;

/**
 * Turns Magento's merged cron config into the `MagentoJobInput` list of `syncMagentoJobs`. Plain PHP.
 *
 * A job with `config_path` gets the expression stored there (resolved by the callable, as
 * ProcessCronQueueObserver resolves it: store scope); when the path holds nothing the path itself is
 * sent so the service can create the job paused and say why.
 */
class MagentoJobCollector
{
    /** @var list<string> */
    private array $warnings = [];

    /**
     * @param array<string, array<string, array<string, mixed>>> $jobsByGroup group => code => config
     * @param callable(string): ?string $resolveConfigPath
     * @return list<array{code: string, group: string, schedule: ?string, configPath: ?string, instance: string, method: string}>
     */
    public function collect(array $jobsByGroup, callable $resolveConfigPath): array
    {
        $this->warnings = [];
        $inputs = [];
        foreach ($jobsByGroup as $group => $jobs) {
            if (!is_array($jobs)) {
                continue;
            }
            foreach ($jobs as $code => $job) {
                $code = (string)$code;
                $instance = is_array($job) && is_string($job['instance'] ?? null) ? $job['instance'] : '';
                $method = is_array($job) && is_string($job['method'] ?? null) ? $job['method'] : '';
                if ($instance === '' || $method === '') {
                    $this->warnings[] = sprintf('%s: no instance or method in the cron config; not synced', $code);
                    continue;
                }
                $schedule = is_string($job['schedule'] ?? null) && trim($job['schedule']) !== ''
                    ? trim($job['schedule'])
                    : null;
                $configPath = is_string($job['config_path'] ?? null) && $job['config_path'] !== ''
                    ? $job['config_path']
                    : null;
                if ($schedule === null && $configPath !== null) {
                    $resolved = $resolveConfigPath($configPath);
                    if ($resolved !== null && trim($resolved) !== '') {
                        $schedule = trim($resolved);
                        $configPath = null;
                    }
                } elseif ($schedule !== null) {
                    $configPath = null;
                }
                $inputs[] = [
                    'code' => $code,
                    'group' => (string)$group,
                    'schedule' => $schedule,
                    'configPath' => $configPath,
                    'instance' => ltrim($instance, '\\'),
                    'method' => $method,
                ];
            }
        }
        return $inputs;
    }

    /**
     * @return list<string> jobs left out by the last collect()
     */
    public function getWarnings(): array
    {
        return $this->warnings;
    }
}
