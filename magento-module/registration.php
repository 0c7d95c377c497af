<?php
/**
 * Registers Cronkeeper_Scheduler with Magento's component registrar; loaded by composer's autoload.files.
 */
declare(strict_types=1);

use Magento\Framework\Component\ComponentRegistrar;

ComponentRegistrar::register(ComponentRegistrar::MODULE, 'Cronkeeper_Scheduler', __DIR__);
