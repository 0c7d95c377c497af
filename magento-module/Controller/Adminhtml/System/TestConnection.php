<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\System;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\Config;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ServiceUnavailableException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\UnauthenticatedException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Reports reachability (GET /healthz), auth (the `me` query as this admin) and the service version
 * (`version` from /healthz when the service sends one) for the saved configuration.
 */
class TestConnection extends Action implements HttpPostActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::config';

    public function __construct(
        Context $context,
        private readonly ServiceClientInterface $client,
        private readonly Config $config
    ) {
        parent::__construct($context);
    }

    public function execute()
    {
        $result = $this->resultFactory->create(ResultFactory::TYPE_JSON);
        try {
            $data = $this->client->execute(Queries::WHOAMI);
            $me = $data['me'] ?? [];
            $version = $this->version();
            $message = __(
                'Connected to %1 as %2 (role %3)%4.',
                $this->config->getServiceUrl(),
                (string)($me['subject'] ?? '?'),
                (string)($me['role'] ?? '?'),
                $version !== null ? ', service version ' . $version : ''
            );
            return $result->setData(['success' => true, 'message' => (string)$message]);
        } catch (ServiceUnavailableException $e) {
            $message = __('Not reachable: %1', $e->getMessage());
        } catch (UnauthenticatedException $e) {
            $message = __('Reachable, but the token was refused; check the JWT secret and token lifetime (%1).', $e->getMessage());
        } catch (GraphQlException $e) {
            $message = __('Reachable, but the request failed: %1', $e->getMessage());
        }
        return $result->setData(['success' => false, 'message' => (string)$message]);
    }

    private function version(): ?string
    {
        $healthUrl = preg_replace('#/graphql/?$#', '/healthz', $this->config->getServiceUrl());
        if (!is_string($healthUrl) || $healthUrl === $this->config->getServiceUrl()) {
            return null;
        }
        $handle = curl_init($healthUrl);
        if ($handle === false) {
            return null;
        }
        curl_setopt_array($handle, [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT_MS => $this->config->getConnectTimeoutMs(),
            CURLOPT_TIMEOUT_MS => $this->config->getConnectTimeoutMs() + $this->config->getRequestTimeoutMs(),
        ]);
        $body = curl_exec($handle);
        curl_close($handle);
        $decoded = is_string($body) ? json_decode($body, true) : null;
        return is_array($decoded) && is_string($decoded['version'] ?? null) ? $decoded['version'] : null;
    }
}
