<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Rule;

use Magento\Backend\App\Action;
use Magento\Framework\App\Action\HttpGetActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Alerts > rule form (`cronkeeper/rule/edit[/name/<name>]`); ViewModel\RuleEdit loads it.
 */
class Edit extends Action implements HttpGetActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::manage';

    public function execute()
    {
        $name = trim((string)$this->getRequest()->getParam('name'));
        /** @var \Magento\Backend\Model\View\Result\Page $page */
        $page = $this->resultFactory->create(ResultFactory::TYPE_PAGE);
        $page->setActiveMenu('Cronkeeper_Scheduler::alerts');
        $page->getConfig()->getTitle()->prepend($name === '' ? __('New Alert Rule') : __('Alert Rule %1', $name));
        return $page;
    }
}
