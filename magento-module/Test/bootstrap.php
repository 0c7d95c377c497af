<?php
/**
 * Loads only the module's plain-PHP classes (the GraphQL client, token minter, grid mapping, role mapping,
 * sync and takeover logic) and the test helpers; no Magento framework is needed or loaded.
 */
declare(strict_types=1);

const CRONKEEPER_MODULE_DIR = __DIR__ . '/..';

spl_autoload_register(static function (string $class): void {
    $prefix = 'Cronkeeper\\Scheduler\\';
    if (!str_starts_with($class, $prefix)) {
        return;
    }
    $relative = str_replace('\\', '/', substr($class, strlen($prefix)));
    // The directories that hold Magento-free code; glue classes stay unloadable on purpose.
    $plain = ['Api/', 'Model/GraphQl/', 'Model/Grid/', 'Model/Acl/', 'Model/Sync/', 'Model/Takeover/', 'Model/Timeline/', 'Model/Dashboard/', 'Test/',
        'Model/Email/', 'Model/Indexer/', 'Model/Lock/MutexInterface', 'Model/Stages/StagePlan'];
    foreach ($plain as $dir) {
        if (str_starts_with($relative, $dir)) {
            $file = CRONKEEPER_MODULE_DIR . '/' . $relative . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
