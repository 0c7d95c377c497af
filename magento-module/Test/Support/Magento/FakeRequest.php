<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support\Magento;

use Magento\Framework\App\RequestInterface;

final class FakeRequest implements RequestInterface
{
    /**
     * @param array<string, mixed> $params
     */
    public function __construct(private readonly array $params = [])
    {
    }

    public function getParam($key, $defaultValue = null)
    {
        return $this->params[$key] ?? $defaultValue;
    }

    public function getParams()
    {
        return $this->params;
    }
}
