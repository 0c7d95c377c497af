<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Etc;

use PHPUnit\Framework\TestCase;

/**
 * The JWT secret is registered as sensitive (Magento\Config\Model\Config\TypePool, argument `sensitive`)
 * under the path etc/adminhtml/system.xml gives it, so `config:sensitive:set` (README) accepts it and
 * `app:config:dump` keeps it out of app/etc/config.php.
 */
class SensitiveConfigTest extends TestCase
{
    private const ETC = __DIR__ . '/../../../etc';

    public function testTheJwtSecretFieldIsRegisteredAsSensitiveUnderItsRealPath(): void
    {
        $system = simplexml_load_file(self::ETC . '/adminhtml/system.xml');
        $fields = $system->xpath('//section/group/field[@id="jwt_secret"]');
        self::assertCount(1, $fields);
        $group = $fields[0]->xpath('..')[0];
        $section = $group->xpath('..')[0];
        $path = sprintf('%s/%s/%s', $section['id'], $group['id'], $fields[0]['id']);
        self::assertSame('cronkeeper/connection/jwt_secret', $path);

        $di = simplexml_load_file(self::ETC . '/di.xml');
        $items = $di->xpath('//type[@name="Magento\Config\Model\Config\TypePool"]/arguments/argument[@name="sensitive"]/item');
        $sensitive = [];
        foreach ($items as $item) {
            $sensitive[(string)$item['name']] = (string)$item;
        }
        self::assertSame('1', $sensitive[$path] ?? null, "$path is not registered as sensitive in etc/di.xml");

        $readme = (string)file_get_contents(__DIR__ . '/../../../README.md');
        self::assertStringContainsString("config:sensitive:set $path", $readme);
    }
}
