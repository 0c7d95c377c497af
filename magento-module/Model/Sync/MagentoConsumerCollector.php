<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Sync;

/**
 * Turns Magento's merged queue consumer config into the `MagentoConsumerInput` list of
 * `syncMagentoConsumers`. Plain PHP.
 *
 * Items are read through the getters of Magento\Framework\MessageQueue\Consumer\Config\
 * ConsumerConfigItemInterface (getName, getQueue, getConnection, getMaxMessages, getHandlers with
 * HandlerInterface::getType/getMethod); they are duck-typed here so the mapping is testable without
 * Magento. The handler sent is the first one as `Class::method` (what the consumer calls per message).
 */
class MagentoConsumerCollector
{
    /** @var list<string> */
    private array $warnings = [];

    /**
     * @param iterable<mixed> $items what ConfigInterface::getConsumers() returns
     * @return list<array{name: string, queue: ?string, connection: ?string, maxMessages: ?int, handler: ?string}>
     */
    public function collect(iterable $items): array
    {
        $this->warnings = [];
        $inputs = [];
        foreach ($items as $key => $item) {
            $name = is_object($item) && method_exists($item, 'getName') ? trim((string)$item->getName()) : '';
            if ($name === '') {
                $this->warnings[] = sprintf('consumer %s: no name in the queue consumer config; not synced', (string)$key);
                continue;
            }
            $inputs[$name] = [
                'name' => $name,
                'queue' => self::text($item->getQueue()),
                'connection' => self::text($item->getConnection()),
                'maxMessages' => self::positiveInt($item->getMaxMessages()),
                'handler' => self::handler($item->getHandlers()),
            ];
        }
        ksort($inputs);
        return array_values($inputs);
    }

    /**
     * @return list<string> consumers left out by the last collect()
     */
    public function getWarnings(): array
    {
        return $this->warnings;
    }

    private static function handler(mixed $handlers): ?string
    {
        foreach (is_iterable($handlers) ? $handlers : [] as $handler) {
            if (!is_object($handler) || !method_exists($handler, 'getType')) {
                continue;
            }
            $type = ltrim(trim((string)$handler->getType()), '\\');
            $method = method_exists($handler, 'getMethod') ? trim((string)$handler->getMethod()) : '';
            if ($type !== '') {
                return $method !== '' ? $type . '::' . $method : $type;
            }
        }
        return null;
    }

    private static function text(mixed $value): ?string
    {
        return is_scalar($value) && trim((string)$value) !== '' ? trim((string)$value) : null;
    }

    /**
     * Magento leaves max messages unset (null) for "no limit"; 0 and junk mean the same.
     */
    private static function positiveInt(mixed $value): ?int
    {
        if (is_int($value) || (is_string($value) && ctype_digit(trim($value)))) {
            $int = (int)$value;
            return $int > 0 ? $int : null;
        }
        return null;
    }
}
