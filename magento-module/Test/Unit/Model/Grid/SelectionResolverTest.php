<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\Grid;

use Cronkeeper\Scheduler\Model\Grid\SelectionResolver;
use PHPUnit\Framework\TestCase;

class SelectionResolverTest extends TestCase
{
    public function testTickedRowsAreUsedAsIs(): void
    {
        $never = static function (): array {
            throw new \LogicException('must not query the service');
        };
        self::assertSame(['a', 'b'], (new SelectionResolver())->resolve(['selected' => ['a', 'b', 'a', ' ']], $never));
    }

    public function testNoSelectionIsEmpty(): void
    {
        self::assertSame([], (new SelectionResolver())->resolve([], static fn () => [['x'], 1]));
    }

    public function testSelectAllPagesThroughTheFilteredJobsMinusExcluded(): void
    {
        $all = array_map(static fn (int $i): string => 'job_' . $i, range(1, 450));
        $seen = [];
        $fetch = static function (array $variables) use ($all, &$seen): array {
            $seen[] = $variables;
            $start = isset($variables['after']) ? (int)substr((string)base64_decode(strtr($variables['after'], '-_', '+/')), 2) + 1 : 0;
            return [array_slice($all, $start, $variables['first']), count($all)];
        };
        $codes = (new SelectionResolver())->resolve(
            ['excluded' => ['job_2', 'job_449'], 'filters' => ['lane' => 'bulk'], 'search' => 'job'],
            $fetch
        );
        self::assertCount(448, $codes);
        self::assertNotContains('job_2', $codes);
        self::assertCount(3, $seen);
        self::assertSame(['lane' => 'bulk', 'search' => 'job'], $seen[0]['filter']);
    }

    public function testExcludedFalseMeansNothingExcluded(): void
    {
        $codes = (new SelectionResolver())->resolve(['excluded' => 'false'], static fn () => [['a', 'b'], 2]);
        self::assertSame(['a', 'b'], $codes);
    }
}
