<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\ViewModel;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;

/**
 * A page's data, asked of the service once per request. When the service is down, slow or refuses,
 * the page gets its empty shape with `error` set to the reason, and renders that instead of failing.
 */
trait LoadsOnce
{
    /** @var array<string, mixed>|null */
    private ?array $page = null;

    /**
     * @param callable(): array<string, mixed> $load the page's data; it may set `error` itself (e.g. not found)
     * @param array<string, mixed> $empty the shape the template reads when nothing could be loaded
     * @return array<string, mixed> with `error`: null or the message to show
     */
    private function loadOnce(callable $load, array $empty): array
    {
        if ($this->page === null) {
            try {
                $this->page = $load() + ['error' => null];
            } catch (GraphQlException $e) {
                $this->page = ['error' => (string)__('Cronkeeper: %1', $e->getMessage())] + $empty;
            }
        }
        return $this->page;
    }
}
