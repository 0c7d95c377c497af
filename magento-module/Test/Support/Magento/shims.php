<?php
/**
 * The few Magento framework interfaces the view models and templates touch (and `__()`, from translate.php), declared only
 * when Magento is not loaded, so the page tests can render the module's real view models and
 * templates with PHPUnit alone. Each member mirrors Magento 2.4.7's signature (listed in the README);
 * the module's code is what is tested, never these.
 */
declare(strict_types=1);

namespace Magento\Framework\App {
    if (!interface_exists(RequestInterface::class, false)) {
        interface RequestInterface
        {
            public function getParam($key, $defaultValue = null);

            public function getParams();
        }
    }
}

namespace Magento\Framework\App\Request {
    if (!interface_exists(DataPersistorInterface::class, false)) {
        interface DataPersistorInterface
        {
            public function set($key, $data);

            public function get($key);

            public function clear($key);
        }
    }
}

namespace Magento\Framework {
    if (!interface_exists(UrlInterface::class, false)) {
        interface UrlInterface
        {
            public function getUrl($routePath = null, $routeParams = null);
        }
    }
    if (!interface_exists(AuthorizationInterface::class, false)) {
        interface AuthorizationInterface
        {
            public function isAllowed($resource, $privilege = null);
        }
    }
}

namespace Magento\Framework\View\Element\Block {
    if (!interface_exists(ArgumentInterface::class, false)) {
        interface ArgumentInterface
        {
        }
    }
}

namespace Magento\Framework\Data {
    if (!interface_exists(OptionSourceInterface::class, false)) {
        interface OptionSourceInterface
        {
            public function toOptionArray();
        }
    }
}

namespace {
    require_once __DIR__ . '/../translate.php';
}
