<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\GraphQl\Exception;

/**
 * Any error the cronkeeper service reported, or a response it should not have sent.
 *
 * Callers branch on the subclass (or on getErrorCode(), the service's `extensions.code`), never on text.
 */
class GraphQlException extends \RuntimeException
{
    /**
     * @param string $message the service's message, safe to show to an admin
     * @param string|null $errorCode `errors[0].extensions.code` when the service sent one
     * @param array<int, array<string, mixed>> $errors every error of the response, as decoded
     */
    public function __construct(
        string $message,
        private readonly ?string $errorCode = null,
        private readonly array $errors = [],
        ?\Throwable $previous = null
    ) {
        parent::__construct($message, 0, $previous);
    }

    public function getErrorCode(): ?string
    {
        return $this->errorCode;
    }

    /**
     * @return array<int, array<string, mixed>>
     */
    public function getErrors(): array
    {
        return $this->errors;
    }
}
