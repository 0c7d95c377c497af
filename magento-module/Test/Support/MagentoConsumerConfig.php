<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

/**
 * Objects shaped like Magento's ConsumerConfigItemInterface and HandlerInterface (same getters), for
 * tests of the consumer sync without Magento.
 */
final class MagentoConsumerConfig
{
    /**
     * @param list<array{0: string, 1: string}> $handlers [class, method] pairs
     */
    public static function item(
        string $name,
        ?string $queue,
        ?string $connection = 'amqp',
        int|string|null $maxMessages = null,
        array $handlers = []
    ): object {
        $handlerObjects = array_map(static fn (array $h): object => new class ($h[0], $h[1]) {
            public function __construct(private readonly string $type, private readonly string $method)
            {
            }

            public function getType(): string
            {
                return $this->type;
            }

            public function getMethod(): string
            {
                return $this->method;
            }
        }, $handlers);

        return new class ($name, $queue, $connection, $maxMessages, $handlerObjects) {
            /**
             * @param list<object> $handlers
             */
            public function __construct(
                private readonly string $name,
                private readonly ?string $queue,
                private readonly ?string $connection,
                private readonly int|string|null $maxMessages,
                private readonly array $handlers
            ) {
            }

            public function getName(): string
            {
                return $this->name;
            }

            public function getQueue(): ?string
            {
                return $this->queue;
            }

            public function getConnection(): ?string
            {
                return $this->connection;
            }

            public function getMaxMessages(): int|string|null
            {
                return $this->maxMessages;
            }

            /**
             * @return list<object>
             */
            public function getHandlers(): array
            {
                return $this->handlers;
            }
        };
    }
}
