<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

/**
 * The few W3C WebDriver commands the browser test needs, spoken to Debian's chromedriver over curl,
 * driving Debian's chromium headless. Small enough that a client library would be more code to trust
 * than to read.
 */
final class WebDriver
{
    /** The W3C key an element reference comes under. */
    private const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

    /** @var resource|null */
    private $driver = null;
    private int $port;
    private ?string $session = null;

    private function __construct()
    {
        $this->port = PhpServer::freePort();
    }

    /**
     * Where chromium and chromedriver are, or the reason they cannot be used.
     *
     * @return array{0: string, 1: string}|string
     */
    public static function locate(): array|string
    {
        $chromium = getenv('CHROMIUM_BIN') ?: '/usr/bin/chromium';
        $driver = getenv('CHROMEDRIVER_BIN') ?: '/usr/bin/chromedriver';
        foreach ([$chromium, $driver] as $bin) {
            if (!is_executable($bin)) {
                return "$bin is not installed (Debian packages chromium and chromium-driver; magento-module/ci/install.sh)";
            }
        }
        return [$chromium, $driver];
    }

    public static function start(string $chromium, string $chromedriver, int $width = 1400, int $height = 900): self
    {
        $wd = new self();
        $wd->driver = proc_open(
            [$chromedriver, '--port=' . $wd->port, '--allowed-ips=127.0.0.1'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
            $pipes
        );
        if (!is_resource($wd->driver) || !PhpServer::waitForPort($wd->port, 10.0)) {
            $wd->quit();
            throw new \RuntimeException('chromedriver did not start');
        }
        $args = ['--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
            '--window-size=' . $width . ',' . $height, '--lang=en-GB'];
        if (function_exists('posix_geteuid') ? posix_geteuid() === 0 : trim((string)shell_exec('id -u')) === '0') {
            $args[] = '--no-sandbox'; // chromium refuses to run its sandbox as root (CI runs as root)
        }
        $session = $wd->command('POST', '/session', ['capabilities' => ['alwaysMatch' => [
            'browserName' => 'chrome',
            'goog:chromeOptions' => ['binary' => $chromium, 'args' => $args],
        ]]]);
        $wd->session = (string)$session['sessionId'];
        return $wd;
    }

    public function open(string $url): void
    {
        $this->command('POST', $this->path('/url'), ['url' => $url]);
    }

    public function currentUrl(): string
    {
        return (string)$this->command('GET', $this->path('/url'));
    }

    /**
     * Runs `$script` (a function body; `arguments` holds $args) in the page and returns its value.
     *
     * @param array<int, mixed> $args
     */
    public function execute(string $script, array $args = []): mixed
    {
        return $this->command('POST', $this->path('/execute/sync'), ['script' => $script, 'args' => $args]);
    }

    /**
     * @return string the element reference, for click() and hover()
     */
    public function find(string $css): string
    {
        $found = $this->command('POST', $this->path('/element'), ['using' => 'css selector', 'value' => $css]);
        return (string)$found[self::ELEMENT];
    }

    public function click(string $element): void
    {
        $this->command('POST', $this->path('/element/' . $element . '/click'), new \stdClass());
    }

    /**
     * Types into an input, as a person does (each key fires its input event).
     */
    public function type(string $element, string $text): void
    {
        $this->command('POST', $this->path('/element/' . $element . '/value'), ['text' => $text]);
    }

    public function clear(string $element): void
    {
        $this->command('POST', $this->path('/element/' . $element . '/clear'), new \stdClass());
    }

    /**
     * Moves the mouse to the centre of the element, as a person hovering does.
     */
    public function hover(string $element): void
    {
        $this->command('POST', $this->path('/actions'), ['actions' => [[
            'type' => 'pointer',
            'id' => 'mouse',
            'parameters' => ['pointerType' => 'mouse'],
            'actions' => [['type' => 'pointerMove', 'duration' => 100, 'origin' => [self::ELEMENT => $element], 'x' => 0, 'y' => 0]],
        ]]]);
    }

    public function screenshot(string $file): void
    {
        $png = base64_decode((string)$this->command('GET', $this->path('/screenshot')), true);
        if ($png === false || !str_starts_with($png, "\x89PNG")) {
            throw new \RuntimeException('chromedriver returned no PNG screenshot');
        }
        if (!is_dir(dirname($file))) {
            mkdir(dirname($file), 0775, true);
        }
        file_put_contents($file, $png);
    }

    /**
     * Polls a script until it returns something other than null/false.
     *
     * @param array<int, mixed> $args
     */
    public function waitFor(string $what, string $script, array $args = [], float $seconds = 10.0): mixed
    {
        $deadline = microtime(true) + $seconds;
        do {
            $value = $this->execute($script, $args);
            if ($value !== null && $value !== false) {
                return $value;
            }
            usleep(100_000);
        } while (microtime(true) < $deadline);
        throw new \RuntimeException("Timed out after {$seconds}s waiting in the browser for $what");
    }

    public function quit(): void
    {
        if ($this->session !== null) {
            try {
                $this->command('DELETE', $this->path(''));
            } catch (\RuntimeException) {
                // The browser is going away either way; chromedriver's exit ends it.
            }
            $this->session = null;
        }
        if (is_resource($this->driver)) {
            proc_terminate($this->driver);
            proc_close($this->driver);
        }
        $this->driver = null;
    }

    private function path(string $suffix): string
    {
        if ($this->session === null) {
            throw new \LogicException('No WebDriver session');
        }
        return '/session/' . $this->session . $suffix;
    }

    /**
     * @param array<string, mixed>|\stdClass|null $body
     */
    private function command(string $method, string $path, array|\stdClass|null $body = null): mixed
    {
        $handle = curl_init('http://127.0.0.1:' . $this->port . $path);
        $options = [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 5,
            CURLOPT_TIMEOUT => 60,
            CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
        ];
        if ($body !== null) {
            $options[CURLOPT_POSTFIELDS] = json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        }
        curl_setopt_array($handle, $options);
        $raw = curl_exec($handle);
        $error = curl_error($handle);
        curl_close($handle);
        if (!is_string($raw)) {
            throw new \RuntimeException("WebDriver $method $path: $error");
        }
        $decoded = json_decode($raw, true);
        if (!is_array($decoded) || !array_key_exists('value', $decoded)) {
            throw new \RuntimeException("WebDriver $method $path: unexpected answer " . substr($raw, 0, 300));
        }
        $value = $decoded['value'];
        if (is_array($value) && isset($value['error'])) {
            throw new \RuntimeException("WebDriver $method $path: {$value['error']}: " . ($value['message'] ?? ''));
        }
        return $value;
    }
}
