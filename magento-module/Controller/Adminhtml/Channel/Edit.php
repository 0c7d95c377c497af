<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Channel;

use Magento\Backend\App\Action;
use Magento\Framework\App\Action\HttpGetActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Alerts > channel form (`cronkeeper/channel/edit[/name/<name>]`); ViewModel\ChannelEdit loads it.
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
        $page->getConfig()->getTitle()->prepend($name === '' ? __('New Alert Channel') : __('Alert Channel %1', $name));
        return $page;
    }
}
