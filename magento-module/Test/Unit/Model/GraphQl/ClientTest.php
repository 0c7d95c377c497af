<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\GraphQl;

use Cronkeeper\Scheduler\Model\GraphQl\Client;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\BadUserInputException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ForbiddenException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ServiceUnavailableException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\UnauthenticatedException;
use Cronkeeper\Scheduler\Test\Support\PhpServer;
use PHPUnit\Framework\TestCase;

/**
 * The client against a real HTTP server (php -S with a router that plays the service's answers).
 */
class ClientTest extends TestCase
{
    private static PhpServer $server;

    public static function setUpBeforeClass(): void
    {
        self::$server = new PhpServer(__DIR__ . '/_files/router.php');
        self::$server->start();
    }

    public static function tearDownAfterClass(): void
    {
        self::$server->stop();
    }

    private function client(string $path, int $requestTimeoutMs = 5000): Client
    {
        return new Client(self::$server->url($path), 1000, $requestTimeoutMs);
    }

    public function testItPostsQueryAndVariablesAsJsonWithTheBearerToken(): void
    {
        $data = $this->client('/echo')->execute('query ($first: Int) { jobs(first: $first) { totalCount } }', ['first' => 5], 'tok.en.sig');

        self::assertSame('POST', $data['method']);
        self::assertSame('Bearer tok.en.sig', $data['authorization']);
        self::assertStringStartsWith('application/json', (string)$data['contentType']);
        self::assertSame(['first' => 5], $data['body']['variables']);
        self::assertStringContainsString('jobs(first: $first)', $data['body']['query']);
    }

    public function testEmptyVariablesAreSentAsAnObject(): void
    {
        $data = $this->client('/echo')->execute('{ lanes { name } }', [], 't');
        self::assertSame([], $data['body']['variables']);
    }

    /**
     * @return array<string, array{0: string, 1: class-string<GraphQlException>, 2: ?string}>
     */
    public static function errorCases(): array
    {
        return [
            'UNAUTHENTICATED' => ['/unauthenticated', UnauthenticatedException::class, 'UNAUTHENTICATED'],
            'HTTP 401 without GraphQL body' => ['/http401', UnauthenticatedException::class, 'UNAUTHENTICATED'],
            'FORBIDDEN' => ['/forbidden', ForbiddenException::class, 'FORBIDDEN'],
            'BAD_USER_INPUT' => ['/bad-input', BadUserInputException::class, 'BAD_USER_INPUT'],
            'other code' => ['/internal', GraphQlException::class, 'INTERNAL'],
            'no code' => ['/no-code', GraphQlException::class, null],
            'HTTP 500' => ['/http500', ServiceUnavailableException::class, null],
            'HTTP 503 plain text' => ['/http503', ServiceUnavailableException::class, null],
            'not JSON' => ['/not-json', GraphQlException::class, null],
            'HTTP 404' => ['/missing', GraphQlException::class, null],
        ];
    }

    /**
     * @dataProvider errorCases
     * @param class-string<GraphQlException> $class
     */
    public function testErrorsBecomeNamedExceptionsByExtensionsCode(string $path, string $class, ?string $code): void
    {
        try {
            $this->client($path)->execute('{ jobs { totalCount } }', [], 't');
            self::fail('expected ' . $class);
        } catch (GraphQlException $e) {
            self::assertSame($class, get_class($e), $e->getMessage());
            self::assertSame($code, $e->getErrorCode());
        }
    }

    public function testBadUserInputCarriesTheFieldAndMessage(): void
    {
        try {
            $this->client('/bad-input')->execute('mutation { upsertJob(input: {}) { code } }', [], 't');
            self::fail('expected BadUserInputException');
        } catch (BadUserInputException $e) {
            self::assertSame('timeoutSeconds: must not be negative', $e->getMessage());
            self::assertSame('timeoutSeconds', $e->getField());
        }
    }

    public function testAClosedPortIsServiceUnavailableQuickly(): void
    {
        $client = new Client('http://127.0.0.1:' . PhpServer::freePort() . '/graphql', 500, 500);
        $started = microtime(true);
        try {
            $client->execute('{ lanes { name } }', [], 't');
            self::fail('expected ServiceUnavailableException');
        } catch (ServiceUnavailableException $e) {
            self::assertStringContainsString('unreachable', $e->getMessage());
        }
        self::assertLessThan(2.0, microtime(true) - $started);
    }

    public function testASlowServiceTimesOutAsServiceUnavailable(): void
    {
        $started = microtime(true);
        try {
            $this->client('/slow', 400)->execute('{ lanes { name } }', [], 't');
            self::fail('expected ServiceUnavailableException');
        } catch (ServiceUnavailableException $e) {
            self::assertStringContainsString('timed out', $e->getMessage());
        }
        self::assertLessThan(2.5, microtime(true) - $started);
    }

    public function testTheTokenNeverAppearsInErrorMessages(): void
    {
        try {
            $this->client('/http500')->execute('{ lanes { name } }', [], 'secret-token-value');
        } catch (GraphQlException $e) {
            self::assertStringNotContainsString('secret-token-value', $e->getMessage());
        }
    }

    public function testANonHttpUrlIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        new Client('ftp://example.com/graphql');
    }
}
