<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Run;

use Magento\Backend\App\Action;
use Magento\Framework\App\Action\HttpGetActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Runs > View: one run (`cronkeeper/run/view/id/<id>`); ViewModel\RunView loads it.
 */
class View extends Action implements HttpGetActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::view';

    public function execute()
    {
        /** @var \Magento\Backend\Model\View\Result\Page $page */
        $page = $this->resultFactory->create(ResultFactory::TYPE_PAGE);
        $page->setActiveMenu('Cronkeeper_Scheduler::runs');
        $page->getConfig()->getTitle()->prepend(__('Run %1', (string)$this->getRequest()->getParam('id')));
        return $page;
    }
}
