<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model;

use Cronkeeper\Scheduler\Model\GraphQl\TokenMinter;
use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\Encryption\EncryptorInterface;

/**
 * Typed reader of Stores > Configuration > Advanced > Cronkeeper (default scope only: the service is global).
 */
class Config
{
    public const XML_PATH_ENABLED = 'cronkeeper/connection/enabled';
    public const XML_PATH_SERVICE_URL = 'cronkeeper/connection/service_url';
    public const XML_PATH_JWT_SECRET = 'cronkeeper/connection/jwt_secret';
    public const XML_PATH_TOKEN_LIFETIME = 'cronkeeper/connection/token_lifetime';
    public const XML_PATH_JWT_ISSUER = 'cronkeeper/connection/jwt_issuer';
    public const XML_PATH_CONNECT_TIMEOUT_MS = 'cronkeeper/connection/connect_timeout_ms';
    public const XML_PATH_REQUEST_TIMEOUT_MS = 'cronkeeper/connection/request_timeout_ms';
    public const XML_PATH_ADMIN_BASE_URL = 'cronkeeper/connection/admin_base_url';
    public const XML_PATH_TAKEOVER_ENABLED = 'cronkeeper/takeover/enabled';

    public function __construct(
        private readonly ScopeConfigInterface $scopeConfig,
        private readonly EncryptorInterface $encryptor
    ) {
    }

    public function isEnabled(): bool
    {
        return $this->scopeConfig->isSetFlag(self::XML_PATH_ENABLED);
    }

    public function getServiceUrl(): string
    {
        return trim((string)$this->scopeConfig->getValue(self::XML_PATH_SERVICE_URL));
    }

    /**
     * The decrypted shared secret ('' when not configured). Never log or display it.
     */
    public function getJwtSecret(): string
    {
        $stored = (string)$this->scopeConfig->getValue(self::XML_PATH_JWT_SECRET);
        return $stored === '' ? '' : (string)$this->encryptor->decrypt($stored);
    }

    public function getTokenLifetime(): int
    {
        return max(1, (int)$this->scopeConfig->getValue(self::XML_PATH_TOKEN_LIFETIME) ?: 300);
    }

    /**
     * The `iss` of the module's tokens; must equal the service's `auth.issuer` when that is set.
     */
    public function getJwtIssuer(): string
    {
        $issuer = trim((string)$this->scopeConfig->getValue(self::XML_PATH_JWT_ISSUER));
        return $issuer !== '' ? $issuer : TokenMinter::DEFAULT_ISSUER;
    }

    public function getConnectTimeoutMs(): int
    {
        return max(1, (int)$this->scopeConfig->getValue(self::XML_PATH_CONNECT_TIMEOUT_MS) ?: 1000);
    }

    public function getRequestTimeoutMs(): int
    {
        return max(1, (int)$this->scopeConfig->getValue(self::XML_PATH_REQUEST_TIMEOUT_MS) ?: 5000);
    }

    public function getAdminBaseUrl(): string
    {
        return trim((string)$this->scopeConfig->getValue(self::XML_PATH_ADMIN_BASE_URL));
    }

    public function isTakeoverEnabled(): bool
    {
        return $this->scopeConfig->isSetFlag(self::XML_PATH_TAKEOVER_ENABLED);
    }
}
