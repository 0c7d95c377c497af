<?php
/**
 * Loads only the module's plain-PHP classes (the GraphQL client, token minter, grid mapping, role mapping,
 * sync, takeover and page logic), the view models over a few declared framework interfaces, and the test
 * helpers; no Magento framework is needed or loaded.
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
    // ViewModel/ and Model/Source/ need only the framework interfaces in Test/Support/Magento/shims.php.
    $plain = [
        'Api/', 'Model/GraphQl/', 'Model/Grid/', 'Model/Acl/', 'Model/Sync/', 'Model/Takeover/', 'Model/Timeline/',
        'Model/Dashboard/', 'Model/Email/', 'Model/Indexer/', 'Model/Lock/MutexInterface', 'Model/Stages/StagePlan',
        'Model/Form/', 'Model/Job/', 'Model/Run/', 'Model/Consumer/', 'Model/Alert/', 'Model/Source/', 'ViewModel/', 'Test/',
    ];
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

require __DIR__ . '/Support/Magento/shims.php';
