<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Job;

use Magento\Backend\App\Action;
use Magento\Framework\App\Action\HttpGetActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Schedules > Edit: the form of one job (`cronkeeper/job/edit/code/<code>`); ViewModel\JobEdit loads it.
 */
class Edit extends Action implements HttpGetActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::manage';

    public function execute()
    {
        /** @var \Magento\Backend\Model\View\Result\Page $page */
        $page = $this->resultFactory->create(ResultFactory::TYPE_PAGE);
        $page->setActiveMenu('Cronkeeper_Scheduler::jobs');
        $page->getConfig()->getTitle()->prepend(__('Edit Job %1', (string)$this->getRequest()->getParam('code')));
        return $page;
    }
}
