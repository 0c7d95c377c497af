<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

/**
 * Magento 2.4.7's own crontab.xml files (../shared/magento-reference/crontab, verbatim copies) read into the
 * shape Magento\Cron\Model\ConfigInterface::getJobs() returns: group => code => instance, method, schedule,
 * config_path. Later files override earlier ones job by job, as Magento's config merge does.
 */
final class ReferenceCrontab
{
    public static function directory(): string
    {
        $shared = getenv('CRONKEEPER_SHARED') ?: CRONKEEPER_MODULE_DIR . '/../../shared';
        return $shared . '/magento-reference/crontab';
    }

    /**
     * @return array<string, array<string, array<string, string>>>|null null when the reference files are absent
     */
    public static function jobs(): ?array
    {
        $files = glob(self::directory() . '/*.crontab.xml') ?: [];
        if ($files === []) {
            return null;
        }
        sort($files);
        $jobs = [];
        foreach ($files as $file) {
            $dom = new \DOMDocument();
            if (!$dom->load($file, LIBXML_NONET)) {
                throw new \RuntimeException("$file is not well-formed XML");
            }
            foreach ($dom->getElementsByTagName('group') as $group) {
                foreach ($group->getElementsByTagName('job') as $job) {
                    $entry = ['instance' => $job->getAttribute('instance'), 'method' => $job->getAttribute('method')];
                    foreach (['schedule', 'config_path'] as $child) {
                        $node = $job->getElementsByTagName($child)->item(0);
                        if ($node !== null) {
                            $entry[$child] = trim($node->textContent);
                        }
                    }
                    $code = $job->getAttribute('name');
                    $jobs[$group->getAttribute('id')][$code] = $entry + ($jobs[$group->getAttribute('id')][$code] ?? []);
                }
            }
        }
        return $jobs;
    }
}
