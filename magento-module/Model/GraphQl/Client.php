<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\GraphQl;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\BadUserInputException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ServiceUnavailableException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\UnauthenticatedException;

/**
 * POSTs {query, variables} to the cronkeeper GraphQL endpoint with a bearer token and returns `data`.
 *
 * Plain PHP (curl) with no Magento dependency. Both timeouts are always set, so a slow or dead
 * service costs an admin page at most connect + request timeout, never a hung PHP worker.
 * Errors become named exceptions chosen by `errors[].extensions.code`, never by message text.
 */
class Client
{
    /** extensions.code => exception class; the first error with a known code decides. */
    private const CODE_MAP = [
        'UNAUTHENTICATED' => UnauthenticatedException::class,
        'FORBIDDEN' => ForbiddenException::class,
        'BAD_USER_INPUT' => BadUserInputException::class,
    ];

    public function __construct(
        private readonly string $endpoint,
        private readonly int $connectTimeoutMs = 1000,
        private readonly int $requestTimeoutMs = 5000
    ) {
        if (!preg_match('#^https?://#i', $endpoint)) {
            throw new \InvalidArgumentException('The service URL must start with http:// or https://.');
        }
        if ($connectTimeoutMs <= 0 || $requestTimeoutMs <= 0) {
            throw new \InvalidArgumentException('Timeouts must be positive.');
        }
    }

    public function getEndpoint(): string
    {
        return $this->endpoint;
    }

    /**
     * @param array<string, mixed> $variables
     * @return array<string, mixed> the response's `data`
     * @throws GraphQlException (or a subclass) on any failure
     */
    public function execute(string $query, array $variables, string $bearerToken): array
    {
        $body = json_encode(
            ['query' => $query, 'variables' => (object)$variables],
            JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
        );
        [$status, $responseBody] = $this->post($body, $bearerToken);

        return $this->interpret($status, $responseBody);
    }

    /**
     * @return array{0: int, 1: string}
     */
    private function post(string $body, string $bearerToken): array
    {
        $handle = curl_init($this->endpoint);
        if ($handle === false) {
            throw new ServiceUnavailableException('Could not initialise a connection to the cronkeeper service.');
        }
        curl_setopt_array($handle, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_NOSIGNAL => true,
            CURLOPT_CONNECTTIMEOUT_MS => $this->connectTimeoutMs,
            CURLOPT_TIMEOUT_MS => $this->connectTimeoutMs + $this->requestTimeoutMs,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_HTTPHEADER => [
                'Content-Type: application/json',
                'Accept: application/json',
                'Authorization: Bearer ' . $bearerToken,
            ],
        ]);
        $responseBody = curl_exec($handle);
        $errno = curl_errno($handle);
        $error = curl_error($handle);
        $status = (int)curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);

        if ($errno !== 0 || !is_string($responseBody)) {
            $reason = $errno === CURLE_OPERATION_TIMEDOUT ? 'timed out' : 'is unreachable';
            throw new ServiceUnavailableException(
                sprintf('The cronkeeper service at %s %s (%s).', $this->endpoint, $reason, $error ?: 'no response')
            );
        }

        return [$status, $responseBody];
    }

    /**
     * @return array<string, mixed>
     */
    private function interpret(int $status, string $responseBody): array
    {
        if ($status >= 500) {
            throw new ServiceUnavailableException(
                sprintf('The cronkeeper service answered HTTP %d; try again later.', $status)
            );
        }
        $decoded = json_decode($responseBody, true);
        $errors = is_array($decoded) && isset($decoded['errors']) && is_array($decoded['errors'])
            ? array_values(array_filter($decoded['errors'], 'is_array'))
            : [];

        if ($errors !== []) {
            throw $this->exceptionFor($errors);
        }
        if ($status === 401) {
            throw new UnauthenticatedException('The cronkeeper service refused the token (HTTP 401).', 'UNAUTHENTICATED');
        }
        if ($status === 403) {
            throw new ForbiddenException('The cronkeeper service refused the request (HTTP 403).', 'FORBIDDEN');
        }
        if ($status < 200 || $status >= 300) {
            throw new GraphQlException(sprintf('The cronkeeper service answered HTTP %d.', $status));
        }
        if (!is_array($decoded) || !isset($decoded['data']) || !is_array($decoded['data'])) {
            throw new GraphQlException('The cronkeeper service sent a response without data.');
        }

        return $decoded['data'];
    }

    /**
     * @param array<int, array<string, mixed>> $errors
     */
    private function exceptionFor(array $errors): GraphQlException
    {
        $messages = [];
        foreach ($errors as $error) {
            $messages[] = is_string($error['message'] ?? null) ? $error['message'] : 'unknown error';
        }
        $message = implode('; ', array_unique($messages));

        foreach ($errors as $error) {
            $code = $error['extensions']['code'] ?? null;
            if (is_string($code) && isset(self::CODE_MAP[$code])) {
                $class = self::CODE_MAP[$code];
                return new $class($message, $code, $errors);
            }
        }
        $firstCode = $errors[0]['extensions']['code'] ?? null;

        return new GraphQlException($message, is_string($firstCode) ? $firstCode : null, $errors);
    }
}
