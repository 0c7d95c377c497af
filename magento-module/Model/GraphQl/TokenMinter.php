<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\GraphQl;

/**
 * Mints the short-lived HS256 JWTs the service accepts (claims iss, sub, role, aud, iat, exp).
 *
 * `iss` is always sent: a service with `auth.issuer` (CRONKEEPER_JWT_ISSUER) refuses tokens without it
 * or with another one, and a service without it ignores the claim.
 *
 * Plain PHP with no Magento dependency so it can be unit-tested and reused by scripts.
 */
class TokenMinter
{
    public const AUDIENCE = 'cronkeeper';
    public const ROLES = ['viewer', 'operator', 'admin'];
    /** The service refuses secrets shorter than this; refusing here gives a clearer message. */
    public const MIN_SECRET_BYTES = 32;
    /** What the service's `auth.issuer` must be set to when it checks the issuer, unless configured otherwise. */
    public const DEFAULT_ISSUER = 'magento';

    /** @var \Closure(): int */
    private \Closure $clock;

    /**
     * @param string $secret the shared HS256 secret (CRONKEEPER_JWT_SECRET)
     * @param int $lifetimeSeconds exp - iat
     * @param callable|null $clock returns the current Unix time; injected by tests
     * @param string $issuer the `iss` claim (the service's `auth.issuer`, when it checks one)
     */
    public function __construct(
        private readonly string $secret,
        private readonly int $lifetimeSeconds = 300,
        ?callable $clock = null,
        private readonly string $issuer = self::DEFAULT_ISSUER
    ) {
        if (strlen($secret) < self::MIN_SECRET_BYTES) {
            throw new \InvalidArgumentException(
                sprintf('The JWT secret must be at least %d bytes long.', self::MIN_SECRET_BYTES)
            );
        }
        if ($lifetimeSeconds <= 0) {
            throw new \InvalidArgumentException('The token lifetime must be positive.');
        }
        if (trim($issuer) === '') {
            throw new \InvalidArgumentException('The token issuer must not be empty.');
        }
        $this->clock = $clock !== null ? \Closure::fromCallable($clock) : static fn (): int => time();
    }

    /**
     * @param string $subject the admin username
     * @param string $role viewer, operator or admin
     */
    public function mint(string $subject, string $role): string
    {
        if (!in_array($role, self::ROLES, true)) {
            throw new \InvalidArgumentException(sprintf('Unknown role "%s".', $role));
        }
        if ($subject === '') {
            throw new \InvalidArgumentException('The token subject must not be empty.');
        }
        $issuedAt = ($this->clock)();
        $header = ['alg' => 'HS256', 'typ' => 'JWT'];
        $claims = [
            'iss' => $this->issuer,
            'sub' => $subject,
            'role' => $role,
            'aud' => self::AUDIENCE,
            'iat' => $issuedAt,
            'exp' => $issuedAt + $this->lifetimeSeconds,
        ];
        $signingInput = self::base64UrlEncode(self::json($header)) . '.' . self::base64UrlEncode(self::json($claims));
        $signature = hash_hmac('sha256', $signingInput, $this->secret, true);

        return $signingInput . '.' . self::base64UrlEncode($signature);
    }

    public static function base64UrlEncode(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }

    /**
     * @param array<string, mixed> $value
     */
    private static function json(array $value): string
    {
        return json_encode($value, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }
}
