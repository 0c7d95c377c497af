<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Rule;

use Cronkeeper\Scheduler\Model\Alert\AlertRuleForm;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Deletes an alert rule made over the API; its open alerts close without a notification.
 */
class Delete extends Action implements HttpPostActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::manage';

    public function __construct(Context $context, private readonly AlertRuleForm $form)
    {
        parent::__construct($context);
    }

    public function execute()
    {
        $redirect = $this->resultFactory->create(ResultFactory::TYPE_REDIRECT)->setPath('*/alert/index');
        $name = trim((string)$this->getRequest()->getParam('name'));
        try {
            if ($this->form->delete($name)) {
                $this->messageManager->addSuccessMessage(__('Alert rule %1 deleted.', $name));
            } else {
                $this->messageManager->addErrorMessage(__('There is no alert rule "%1".', $name));
            }
        } catch (GraphQlException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
        }
        return $redirect;
    }
}
