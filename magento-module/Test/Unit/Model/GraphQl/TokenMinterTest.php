<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Unit\Model\GraphQl;

use Cronkeeper\Scheduler\Model\GraphQl\TokenMinter;
use PHPUnit\Framework\TestCase;

class TokenMinterTest extends TestCase
{
    private const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

    /**
     * Decodes a token without the minter's own code, so a bug shared by encoder and decoder cannot hide.
     *
     * @return array{0: array<string, mixed>, 1: array<string, mixed>, 2: string, 3: string}
     */
    private static function split(string $token): array
    {
        $parts = explode('.', $token);
        self::assertCount(3, $parts);
        foreach ($parts as $part) {
            self::assertMatchesRegularExpression('/^[A-Za-z0-9_-]+$/', $part, 'base64url without padding');
        }
        $decode = static fn (string $s): string => (string)base64_decode(
            str_pad(strtr($s, '-_', '+/'), (int)(ceil(strlen($s) / 4) * 4), '=', STR_PAD_RIGHT),
            true
        );
        return [
            json_decode($decode($parts[0]), true, 512, JSON_THROW_ON_ERROR),
            json_decode($decode($parts[1]), true, 512, JSON_THROW_ON_ERROR),
            $decode($parts[2]),
            $parts[0] . '.' . $parts[1],
        ];
    }

    public function testTheTokenCarriesTheAgreedClaimsAndAValidHs256Signature(): void
    {
        $minter = new TokenMinter(self::SECRET, 600, static fn (): int => 1_700_000_000);
        [$header, $claims, $signature, $signingInput] = self::split($minter->mint('alice', 'operator'));

        self::assertSame(['alg' => 'HS256', 'typ' => 'JWT'], $header);
        self::assertSame([
            'iss' => 'magento',
            'sub' => 'alice',
            'role' => 'operator',
            'aud' => 'cronkeeper',
            'iat' => 1_700_000_000,
            'exp' => 1_700_000_600,
        ], $claims);
        self::assertTrue(hash_equals(hash_hmac('sha256', $signingInput, self::SECRET, true), $signature));
    }

    public function testTheIssuerIsConfigurable(): void
    {
        $minter = new TokenMinter(self::SECRET, 60, null, 'shop-eu-1');
        [, $claims] = self::split($minter->mint('dave', 'viewer'));
        self::assertSame('shop-eu-1', $claims['iss']);
    }

    public function testAnEmptyIssuerIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage('issuer');
        new TokenMinter(self::SECRET, 60, null, '  ');
    }

    public function testAnotherSecretDoesNotVerifyTheSignature(): void
    {
        $minter = new TokenMinter(self::SECRET, 60);
        [, , $signature, $signingInput] = self::split($minter->mint('bob', 'viewer'));
        $other = hash_hmac('sha256', $signingInput, self::SECRET . 'x', true);
        self::assertFalse(hash_equals($other, $signature));
    }

    public function testExpiryFollowsTheClockAndLifetime(): void
    {
        $now = time();
        $minter = new TokenMinter(self::SECRET, 120);
        [, $claims] = self::split($minter->mint('carol', 'admin'));
        self::assertEqualsWithDelta($now, $claims['iat'], 2);
        self::assertSame($claims['iat'] + 120, $claims['exp']);
    }

    public function testNonAsciiSubjectsSurviveTheRoundTrip(): void
    {
        $minter = new TokenMinter(self::SECRET);
        [, $claims] = self::split($minter->mint('zoë/ops+1', 'viewer'));
        self::assertSame('zoë/ops+1', $claims['sub']);
    }

    public function testAShortSecretIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        new TokenMinter(str_repeat('x', 31));
    }

    public function testAnUnknownRoleIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        (new TokenMinter(self::SECRET))->mint('alice', 'root');
    }

    public function testANonPositiveLifetimeIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        new TokenMinter(self::SECRET, 0);
    }
}
