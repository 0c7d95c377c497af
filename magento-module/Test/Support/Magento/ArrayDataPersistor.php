<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support\Magento;

use Magento\Framework\App\Request\DataPersistorInterface;

/**
 * The session-backed DataPersistor of Magento, as an array.
 */
final class ArrayDataPersistor implements DataPersistorInterface
{
    /** @var array<string, mixed> */
    private array $data = [];

    public function set($key, $data)
    {
        $this->data[$key] = $data;
    }

    public function get($key)
    {
        return $this->data[$key] ?? null;
    }

    public function clear($key)
    {
        unset($this->data[$key]);
    }
}
