<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Channel;

use Cronkeeper\Scheduler\Model\Alert\AlertChannelForm;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Deletes an alert channel made over the API. The service refuses while a rule uses it and names the rules.
 */
class Delete extends Action implements HttpPostActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::manage';

    public function __construct(Context $context, private readonly AlertChannelForm $form)
    {
        parent::__construct($context);
    }

    public function execute()
    {
        $redirect = $this->resultFactory->create(ResultFactory::TYPE_REDIRECT)->setPath('*/alert/index');
        $name = trim((string)$this->getRequest()->getParam('name'));
        try {
            if ($this->form->delete($name)) {
                $this->messageManager->addSuccessMessage(__('Alert channel %1 deleted.', $name));
            } else {
                $this->messageManager->addErrorMessage(__('There is no alert channel "%1".', $name));
            }
        } catch (GraphQlException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
        }
        return $redirect;
    }
}
