<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support\Magento;

use Magento\Framework\UrlInterface;

/**
 * Admin URLs as `/admin/<route>/<key>/<value>/...`, as Magento builds them (without the secret key).
 */
final class FakeUrl implements UrlInterface
{
    public function getUrl($routePath = null, $routeParams = null)
    {
        $url = '/admin/' . trim((string)$routePath, '/') . '/';
        foreach ((array)$routeParams as $key => $value) {
            $url .= rawurlencode((string)$key) . '/' . rawurlencode((string)$value) . '/';
        }
        return $url;
    }
}
